<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name></name>
    <message>
        <source>办不成事反映</source>
        <translation>Couldn&apos;t get it done</translation>
    </message>
    <message>
        <source>受理条件（至少符合一项）：</source>
        <translation>Acceptance conditions (at least one):</translation>
    </message>
    <message>
        <source>已在正常窗口办理，仍没有办成</source>
        <translation>I tried at the normal window and it was not done</translation>
    </message>
    <message>
        <source>涉及几个部门，职责有交叉</source>
        <translation>Several departments are involved and their duties overlap</translation>
    </message>
    <message>
        <source>政策有空间，但没有办成</source>
        <translation>The policy allows it, but it was not done</translation>
    </message>
    <message>
        <source>不予受理：已进入诉讼、仲裁、行政复议程序的；信访事项；单纯咨询；违反法律法规的诉求。</source>
        <translation>Not accepted: matters already in court, arbitration or administrative review; petitions (信访); simple enquiries; requests against the law.</translation>
    </message>
    <message>
        <source>问题类别（可多选）：</source>
        <translation>Category (one or more):</translation>
    </message>
    <message>
        <source>请输入手机号，用于回访</source>
        <translation>Type your mobile number, for the call back</translation>
    </message>
    <message>
        <source>我同意：手机号只用于首接负责人回访，办结后删除</source>
        <translation>I agree: the number is used only by the person in charge to call me back, and deleted when the case is closed</translation>
    </message>
    <message>
        <source>正在提交…</source>
        <translation>Sending…</translation>
    </message>
    <message>
        <source>提交</source>
        <translation>Submit</translation>
    </message>
    <message>
        <source>已受理，您的反映编号</source>
        <translation>Accepted. Your case number</translation>
    </message>
    <message>
        <source>首接负责人会在 {time} 前与您联系（{phone}），{close} 前办结。可凭编号在本机查询进度。</source>
        <translation>The person in charge will contact you by {time} ({phone}) and close the case by {close}. You can check progress here with the number.</translation>
    </message>
    <message>
        <source>请持号票 {number} 到办不成事反映窗口。</source>
        <translation>Please take ticket {number} to the “couldn&apos;t get it done” window.</translation>
    </message>
    <message>
        <source>请取走回执和号票。</source>
        <translation>Please take your receipt and ticket.</translation>
    </message>
    <message>
        <source>重新打印</source>
        <translation>Print again</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <source>查询反映进度：请输入编号中的数字</source>
        <translation>Case progress: type the digits of the case number</translation>
    </message>
    <message>
        <source>例如 BC20261122-0001</source>
        <translation>e.g. BC20261122-0001</translation>
    </message>
    <message>
        <source>{number}：{status}</source>
        <translation>{number}: {status}</translation>
    </message>
    <message>
        <source>查询</source>
        <translation>Look up</translation>
    </message>
</context>
<context>
    <name>CaseFormScreen</name>
    <message>
        <source>已选：</source>
        <translation>Selected: </translation>
    </message>
</context>
<context>
    <name>GroupsScreen</name>
    <message>
        <source>办事指南：请选择类别</source>
        <translation>Service guide: choose a category</translation>
    </message>
    <message>
        <source>取号：请选择办理类别</source>
        <translation>Take a number: choose a category</translation>
    </message>
    <message>
        <source>高效办成一件事</source>
        <translation>One thing, done at once</translation>
    </message>
    <message>
        <source>多个事项一次办</source>
        <translation>several items in one visit</translation>
    </message>
    <message>
        <source>不确定选哪个？请选“大综窗”，任何事项都能办理。</source>
        <translation>Not sure? Choose “General window”: it accepts any item.</translation>
    </message>
</context>
<context>
    <name>HomeScreen</name>
    <message>
        <source>您好！请选择要办理的业务</source>
        <translation>Hello! What would you like to do?</translation>
    </message>
    <message>
        <source>取号</source>
        <translation>Take a number</translation>
    </message>
    <message>
        <source>办事指南</source>
        <translation>Service guide</translation>
    </message>
    <message>
        <source>评价</source>
        <translation>Rate our service</translation>
    </message>
    <message>
        <source>办不成事反映</source>
        <translation>Couldn&apos;t get it done</translation>
    </message>
    <message>
        <source>材料预审</source>
        <translation>Material pre-check</translation>
    </message>
    <message>
        <source>查询反映进度</source>
        <translation>Check a case&apos;s progress</translation>
    </message>
</context>
<context>
    <name>IdentifyScreen</name>
    <message>
        <source>请刷身份证，或输入身份证号</source>
        <translation>Tap your ID card, or type your ID number</translation>
    </message>
    <message>
        <source>请把身份证放在下方读卡区，听到提示音后取下。</source>
        <translation>Place your ID card on the reader below and lift it after the beep.</translation>
    </message>
    <message>
        <source>演示：模拟刷卡（虚拟读卡器）</source>
        <translation>Demo: simulated card (virtual reader)</translation>
    </message>
    <message>
        <source>输入身份证号</source>
        <translation>Type the ID number</translation>
    </message>
    <message>
        <source>不登记身份，直接取号</source>
        <translation>Take a number without identifying</translation>
    </message>
    <message>
        <source>数字键盘：请逐位输入身份证号，再按确定</source>
        <translation>Keypad: type the ID number one character at a time, then press OK</translation>
    </message>
</context>
<context>
    <name>ItemsScreen</name>
    <message>
        <source>高效办成一件事：请选择</source>
        <translation>One thing, done at once: choose</translation>
    </message>
    <message>
        <source>{group}：请选择事项</source>
        <translation>{group}: choose an item</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <source>删除一位</source>
        <translation>Delete one character</translation>
    </message>
    <message>
        <source>清空</source>
        <translation>Clear</translation>
    </message>
    <message>
        <source>确定</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>请输入18位身份证号</source>
        <translation>Type the 18-character ID number</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>返回标准版</source>
        <translation>Standard version</translation>
    </message>
    <message>
        <source>返回</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>首页</source>
        <translation>Start</translation>
    </message>
    <message>
        <source>呼叫工作人员</source>
        <translation>Call staff</translation>
    </message>
    <message>
        <source>重听</source>
        <translation>Repeat</translation>
    </message>
    <message>
        <source>小声</source>
        <translation>Softer</translation>
    </message>
    <message>
        <source>声音小一点</source>
        <translation>Speak more softly</translation>
    </message>
    <message>
        <source>大声</source>
        <translation>Louder</translation>
    </message>
    <message>
        <source>声音大一点</source>
        <translation>Speak louder</translation>
    </message>
    <message>
        <source>打开声音</source>
        <translation>Voice on</translation>
    </message>
    <message>
        <source>关闭声音</source>
        <translation>Voice off</translation>
    </message>
    <message>
        <source>您还在吗？{s} 秒后将返回首页</source>
        <translation>Are you still there? Returning to the start in {s} s</translation>
    </message>
    <message>
        <source>继续办理</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>您好！要不要换成长辈版？字更大，还有语音提示。</source>
        <translation>Hello! Would you like the elder-friendly version (长辈版)? Larger text and spoken guidance.</translation>
    </message>
    <message>
        <source>使用长辈版</source>
        <translation>Use 长辈版</translation>
    </message>
    <message>
        <source>不用了</source>
        <translation>No, thanks</translation>
    </message>
    <message>
        <source>已通知工作人员，请在这里稍候，马上有人来帮您。</source>
        <translation>Staff have been told. Please wait here; someone is coming to help you.</translation>
    </message>
    <message>
        <source>知道了</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>呼叫没有发出去。请向大厅里的工作人员招手，或到服务台。</source>
        <translation>The call did not go through. Please wave to the hall staff or go to the help desk.</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>身份证号应为18位，请核对后重新输入。</source>
        <translation>An ID number has 18 characters. Please check it and type it again.</translation>
    </message>
    <message>
        <source>身份证号前17位是数字，最后一位是数字或X，请核对。</source>
        <translation>The first 17 characters are digits, the last is a digit or X. Please check.</translation>
    </message>
    <message>
        <source>号码中的出生日期不对，请逐位核对。</source>
        <translation>The birth date inside the number is not right. Please check each digit.</translation>
    </message>
    <message>
        <source>号码最后一位（校验位）对不上，请逐位核对，或直接刷身份证。</source>
        <translation>The last character (check character) does not match. Please check each digit, or tap your ID card.</translation>
    </message>
    <message>
        <source>这张证件没有通过验证。请到服务台，工作人员会帮您办理。</source>
        <translation>This card could not be verified. Please go to the help desk; staff will help you.</translation>
    </message>
    <message>
        <source>读卡器认不出这张证件。请输入证件号码，或到服务台。</source>
        <translation>The reader does not recognise this card. Please type the card number, or go to the help desk.</translation>
    </message>
    <message>
        <source>读卡器暂时不能用，已通知工作人员。请改为输入身份证号。</source>
        <translation>The card reader is not working right now; staff have been told. Please type your ID number instead.</translation>
    </message>
    <message>
        <source>没有读出身份证。请把身份证放平，重新放一次。</source>
        <translation>The card was not read. Please lay it flat on the reader and try again.</translation>
    </message>
    <message>
        <source>暂时连不上叫号系统，没有取到号。请点“重试”，或到服务台请工作人员帮您取号。</source>
        <translation>The queue system cannot be reached right now; no number was taken. Tap “Try again”, or ask the staff at the help desk for a number.</translation>
    </message>
    <message>
        <source>叫号系统没有受理这次取号。请到服务台请工作人员帮您办理。</source>
        <translation>The queue system did not accept this request. Please ask the staff at the help desk.</translation>
    </message>
    <message>
        <source>这个事项需要登记身份，请刷身份证或输入身份证号。</source>
        <translation>This item needs your identity: tap your ID card or type your ID number.</translation>
    </message>
    <message>
        <source>这个号码还没有办理完，办完后再来评价吧。</source>
        <translation>This number has not been served yet; please rate after your visit.</translation>
    </message>
    <message>
        <source>没有找到今天的这个号码，请核对号票上的号码（字母加数字）。</source>
        <translation>No ticket with this number today. Please check the number on your ticket (a letter and digits).</translation>
    </message>
    <message>
        <source>这个号码已经评价过了，每次办事评价一次。谢谢您！</source>
        <translation>This number has already been rated; each visit is rated once. Thank you!</translation>
    </message>
    <message>
        <source>请至少选一项不满意的原因，我们好改进。</source>
        <translation>Please choose at least one reason, so that we can improve.</translation>
    </message>
    <message>
        <source>请至少选择一项受理条件。</source>
        <translation>Please choose at least one acceptance condition.</translation>
    </message>
    <message>
        <source>请至少选择一个问题类别。</source>
        <translation>Please choose at least one category.</translation>
    </message>
    <message>
        <source>手机号应为11位，以1开头，请核对。</source>
        <translation>A mobile number has 11 digits and starts with 1. Please check.</translation>
    </message>
    <message>
        <source>请阅读并同意手机号的使用说明。</source>
        <translation>Please read and accept how the mobile number is used.</translation>
    </message>
    <message>
        <source>没有找到这个编号，请核对回执上的编号。</source>
        <translation>No case with this number. Please check the number on your receipt.</translation>
    </message>
    <message>
        <source>号票没有打印出来，但您的号码已经取好：请记下屏幕上的号码，或用手机拍下二维码。工作人员已收到提醒。</source>
        <translation>The ticket could not be printed, but your number is taken: note the number on the screen or photograph the QR code. Staff have been alerted.</translation>
    </message>
    <message>
        <source>告知单没有打印出来。您可以用手机拍下这一页，或继续取号。</source>
        <translation>The notice could not be printed. You can photograph this page, or go on to take a number.</translation>
    </message>
    <message>
        <source>出了点问题，请到服务台请工作人员帮忙。</source>
        <translation>Something went wrong. Please ask the staff at the help desk.</translation>
    </message>
</context>
<context>
    <name>NoticeScreen</name>
    <message>
        <source>办理须知：{name}</source>
        <translation>What you need: {name}</translation>
    </message>
    <message>
        <source>您的证件已于 {date} 过期。部分事项需要有效证件，请向窗口工作人员说明。</source>
        <translation>Your card expired on {date}. Some items need a valid card; please tell the staff at the window.</translation>
    </message>
    <message>
        <source>已登记：{name} {id}</source>
        <translation>Identified: {name} {id}</translation>
    </message>
    <message>
        <source>材料预审：{summary}</source>
        <translation>Material pre-check: {summary}</translation>
    </message>
    <message>
        <source>请准备以下材料（一次性告知）：</source>
        <translation>Please bring these materials (complete list):</translation>
    </message>
    <message>
        <source>【必须】</source>
        <translation>[required]</translation>
    </message>
    <message>
        <source>【可容缺，可以后补交】</source>
        <translation>[may be supplied later]</translation>
    </message>
    <message>
        <source>承诺时限：{v}</source>
        <translation>Time limit: {v}</translation>
    </message>
    <message>
        <source>收费：{v}</source>
        <translation>Fee: {v}</translation>
    </message>
    <message>
        <source>办理地点：{name}，{where}</source>
        <translation>Where: {name}, {where}</translation>
    </message>
    <message>
        <source>标为“可容缺”的材料缺少时，可签署告知承诺书先受理、后补交。</source>
        <translation>Materials marked “may be supplied later” can be handed in later if you sign a written promise.</translation>
    </message>
    <message>
        <source>正在打印…</source>
        <translation>Printing…</translation>
    </message>
    <message>
        <source>打印告知单</source>
        <translation>Print this list</translation>
    </message>
    <message>
        <source>材料预审</source>
        <translation>Material pre-check</translation>
    </message>
    <message>
        <source>材料预审：先拍材料，看看带齐了没有</source>
        <translation>Material pre-check: photograph your documents to see whether anything is missing</translation>
    </message>
    <message>
        <source>取号办理</source>
        <translation>Take a number for this</translation>
    </message>
    <message>
        <source>正在取号…</source>
        <translation>Taking a number…</translation>
    </message>
    <message>
        <source>重试</source>
        <translation>Try again</translation>
    </message>
    <message>
        <source>确认，取号</source>
        <translation>OK, take a number</translation>
    </message>
    <message>
        <source>绿色通道：您已年满{age}岁，将优先叫号。</source>
        <translation>Priority lane: you are {age} or older and will be called first.</translation>
    </message>
    <message>
        <source>残疾人</source>
        <translation>disability</translation>
    </message>
    <message>
        <source>孕妇</source>
        <translation>pregnancy</translation>
    </message>
    <message>
        <source>绿色通道：已申请（{reason}），将优先叫号。</source>
        <translation>Priority lane requested ({reason}): you will be called first.</translation>
    </message>
    <message>
        <source>取消绿色通道</source>
        <translation>Cancel priority</translation>
    </message>
    <message>
        <source>我是残疾人</source>
        <translation>I have a disability</translation>
    </message>
    <message>
        <source>我是孕妇</source>
        <translation>I am pregnant</translation>
    </message>
    <message>
        <source>申请绿色通道（残疾人、孕妇）</source>
        <translation>Priority lane (disability, pregnancy)</translation>
    </message>
</context>
<context>
    <name>PrecheckResultScreen</name>
    <message>
        <source>预审结果：{name}</source>
        <translation>Pre-check result: {name}</translation>
    </message>
    <message>
        <source>已备齐</source>
        <translation>ready</translation>
    </message>
    <message>
        <source>看不清，请重拍</source>
        <translation>not readable, scan it again</translation>
    </message>
    <message>
        <source>材料不符</source>
        <translation>not the right document</translation>
    </message>
    <message>
        <source>缺少</source>
        <translation>missing</translation>
    </message>
    <message>
        <source>必须</source>
        <translation>required</translation>
    </message>
    <message>
        <source>可容缺</source>
        <translation>may follow later</translation>
    </message>
    <message>
        <source>{name}（{mark}）：{status}</source>
        <translation>{name} ({mark}): {status}</translation>
    </message>
    <message>
        <source>本结果仅供参考，以窗口工作人员审核为准。</source>
        <translation>This is advice only: staff at the window decide.</translation>
    </message>
    <message>
        <source>正在打印预审结果单…</source>
        <translation>Printing the pre-check slip…</translation>
    </message>
    <message>
        <source>预审结果单已打印，请取走。</source>
        <translation>The pre-check slip is printed: please take it.</translation>
    </message>
    <message>
        <source>预审结果单没有打印出来，可以重新打印或请工作人员帮忙。</source>
        <translation>The pre-check slip did not print: print it again or ask staff for help.</translation>
    </message>
    <message>
        <source>继续取号</source>
        <translation>Continue to take a ticket</translation>
    </message>
    <message>
        <source>重新打印</source>
        <translation>Print again</translation>
    </message>
    <message>
        <source>返回首页</source>
        <translation>Back to the start</translation>
    </message>
</context>
<context>
    <name>PrecheckScreen</name>
    <message>
        <source>（模糊的照片）</source>
        <translation> (blurred photo)</translation>
    </message>
    <message>
        <source>材料预审：{name}</source>
        <translation>Material pre-check: {name}</translation>
    </message>
    <message>
        <source>一次放一页材料，点“拍这一页”；拍完点“完成”。</source>
        <translation>One page at a time: tap &quot;Scan this page&quot;; when all are scanned, tap &quot;Done&quot;.</translation>
    </message>
    <message>
        <source>正在检查第{n}页，请稍候…（已拍{done}页）</source>
        <translation>Checking page {n}, please wait… ({done} scanned)</translation>
    </message>
    <message>
        <source>已拍{n}页</source>
        <translation>{n} page(s) scanned</translation>
    </message>
    <message>
        <source>还没有拍材料</source>
        <translation>No pages scanned yet</translation>
    </message>
    <message>
        <source>必须</source>
        <translation>required</translation>
    </message>
    <message>
        <source>可容缺</source>
        <translation>may follow later</translation>
    </message>
    <message>
        <source>已收到</source>
        <translation>received</translation>
    </message>
    <message>
        <source>待拍摄</source>
        <translation>not scanned yet</translation>
    </message>
    <message>
        <source>{name}（{mark}）：{status}</source>
        <translation>{name} ({mark}): {status}</translation>
    </message>
    <message>
        <source>没有看到材料：请把材料放在拍摄区再拍。</source>
        <translation>No document seen: put it in the camera area and scan again.</translation>
    </message>
    <message>
        <source>拍摄设备出了问题，已通知工作人员。您可以点“完成”查看结果。</source>
        <translation>The camera has a problem; staff have been told. Tap &quot;Done&quot; to see the result.</translation>
    </message>
    <message>
        <source>这一页没能检查，请再拍一次。</source>
        <translation>This page could not be checked: please scan it again.</translation>
    </message>
    <message>
        <source>拍这一页</source>
        <translation>Scan this page</translation>
    </message>
    <message>
        <source>正在检查…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <source>重拍</source>
        <translation>Scan again</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <source>取消预审</source>
        <translation>Cancel the pre-check</translation>
    </message>
    <message>
        <source>演示：把样例材料放到拍摄区（模拟高拍仪）</source>
        <translation>Demo: put a sample document in the camera area (simulated document camera)</translation>
    </message>
    <message>
        <source>第{n}页：{doc}，已算作“{material}”</source>
        <translation>Page {n}: {doc}, counted as &quot;{material}&quot;</translation>
    </message>
    <message>
        <source>第{n}页没有看清</source>
        <translation>Page {n} could not be read</translation>
    </message>
    <message>
        <source>第{n}页：{doc}，清单里不需要这份材料</source>
        <translation>Page {n}: {doc}, not on the checklist</translation>
    </message>
</context>
<context>
    <name>RateDoneScreen</name>
    <message>
        <source>谢谢您的评价</source>
        <translation>Thank you for your rating</translation>
    </message>
    <message>
        <source>正在提交…</source>
        <translation>Sending…</translation>
    </message>
    <message>
        <source>评价已提交，谢谢您！</source>
        <translation>Your rating has been received. Thank you!</translation>
    </message>
    <message>
        <source>评价已保存在本机，网络恢复后会自动提交。谢谢您！</source>
        <translation>Your rating is saved on this kiosk and will be sent when the network is back. Thank you!</translation>
    </message>
    <message>
        <source>这张号票已经评价过了，每次办事评价一次。谢谢您的关心！</source>
        <translation>This ticket has already been rated; each visit is rated once. Thank you for caring!</translation>
    </message>
    <message>
        <source>这次评价没有被系统接受，已转交工作人员处理。谢谢您！</source>
        <translation>The system did not accept this rating; it has been passed to staff. Thank you!</translation>
    </message>
    <message>
        <source>返回首页</source>
        <translation>Back to the start</translation>
    </message>
</context>
<context>
    <name>RateFindScreen</name>
    <message>
        <source>评价：请输入号票上的号码</source>
        <translation>Rating: type the number on your ticket</translation>
    </message>
    <message>
        <source>例如 B001</source>
        <translation>e.g. B001</translation>
    </message>
    <message>
        <source>删除一位</source>
        <translation>Delete one character</translation>
    </message>
    <message>
        <source>评价自助服务区</source>
        <translation>Rate the self-service area</translation>
    </message>
    <message>
        <source>查找中…</source>
        <translation>Looking it up…</translation>
    </message>
    <message>
        <source>下一步</source>
        <translation>Next</translation>
    </message>
</context>
<context>
    <name>RateLevelScreen</name>
    <message>
        <source>您对 {number} 号的办理满意吗？</source>
        <translation>Were you satisfied with visit {number}?</translation>
    </message>
    <message>
        <source>您对自助服务区满意吗？</source>
        <translation>Are you satisfied with the self-service area?</translation>
    </message>
    <message>
        <source>非常满意</source>
        <translation>Very satisfied</translation>
    </message>
    <message>
        <source>满意</source>
        <translation>Satisfied</translation>
    </message>
    <message>
        <source>基本满意</source>
        <translation>Fairly satisfied</translation>
    </message>
    <message>
        <source>不满意</source>
        <translation>Dissatisfied</translation>
    </message>
    <message>
        <source>非常不满意</source>
        <translation>Very dissatisfied</translation>
    </message>
    <message>
        <source>您的评价会如实记录，只用于改进服务。</source>
        <translation>Your rating is recorded as given and used only to improve the service.</translation>
    </message>
</context>
<context>
    <name>RateReasonsScreen</name>
    <message>
        <source>请告诉我们哪里不满意（可多选）</source>
        <translation>Please tell us what was wrong (choose one or more)</translation>
    </message>
    <message>
        <source>态度</source>
        <translation>Attitude</translation>
    </message>
    <message>
        <source>效率</source>
        <translation>Speed</translation>
    </message>
    <message>
        <source>一次性告知不到位</source>
        <translation>Incomplete information about materials</translation>
    </message>
    <message>
        <source>多次跑动</source>
        <translation>Had to come several times</translation>
    </message>
    <message>
        <source>环境</source>
        <translation>Environment</translation>
    </message>
    <message>
        <source>其他</source>
        <translation>Other</translation>
    </message>
    <message>
        <source>已选：</source>
        <translation>Selected: </translation>
    </message>
    <message>
        <source>提交评价</source>
        <translation>Submit rating</translation>
    </message>
    <message>
        <source>差评会由专人核实、整改并回复。</source>
        <translation>Bad reviews are checked, acted on and answered by a named person.</translation>
    </message>
</context>
<context>
    <name>ScreenBase</name>
    <message>
        <source>上一页</source>
        <translation>Previous page</translation>
    </message>
    <message>
        <source>下一页</source>
        <translation>Next page</translation>
    </message>
</context>
<context>
    <name>ThanksScreen</name>
    <message>
        <source>感谢使用</source>
        <translation>Thank you</translation>
    </message>
    <message>
        <source>请留意大厅屏幕和广播叫号。过号请到服务台咨询。</source>
        <translation>Watch the hall screens and listen for your number. If you miss it, ask at the help desk.</translation>
    </message>
    <message>
        <source>返回首页</source>
        <translation>Back to the start</translation>
    </message>
</context>
<context>
    <name>TicketScreen</name>
    <message>
        <source>取号成功</source>
        <translation>Your number</translation>
    </message>
    <message>
        <source>您的号码</source>
        <translation>Your number</translation>
    </message>
    <message>
        <source>您的号码是 {number}</source>
        <translation>Your number is {number}</translation>
    </message>
    <message>
        <source>绿色通道</source>
        <translation>Priority lane</translation>
    </message>
    <message>
        <source>请到：{name}，{where}</source>
        <translation>Go to: {name}, {where}</translation>
    </message>
    <message>
        <source>前面还有 {n} 人，预计等待约 {m} 分钟</source>
        <translation>{n} people ahead of you, about {m} min wait</translation>
    </message>
    <message>
        <source>号票二维码，可用于查询和评价</source>
        <translation>Ticket QR code, for status and rating</translation>
    </message>
    <message>
        <source>正在打印号票…</source>
        <translation>Printing your ticket…</translation>
    </message>
    <message>
        <source>请取走号票，留意叫号。</source>
        <translation>Please take your ticket and listen for your number.</translation>
    </message>
    <message>
        <source>重新打印</source>
        <translation>Print again</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Done</translation>
    </message>
</context>
<context>
    <name>screen</name>
    <message>
        <source>删除一位</source>
        <translation>Delete one character</translation>
    </message>
</context>
</TS>
