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
        <source>事项名称或拼音首字母，如 hk</source>
        <translation>Name of the matter, or its pinyin initials (e.g. hk)</translation>
    </message>
    <message>
        <source>说说哪里没办成（可不填，最多{n}字）</source>
        <translation>What went wrong (optional, up to {n} characters)</translation>
    </message>
    <message>
        <source>紧急程度：</source>
        <translation>Urgency:</translation>
    </message>
    <message>
        <source>一般</source>
        <translation>Ordinary</translation>
    </message>
    <message>
        <source>紧急</source>
        <translation>Urgent</translation>
    </message>
    <message>
        <source>涉及多人或老幼病残孕</source>
        <translation>Many people, or elderly, young, sick, disabled or pregnant</translation>
    </message>
    <message>
        <source>（可不填）</source>
        <translation>(optional)</translation>
    </message>
    <message>
        <source>哪里没办成：</source>
        <translation>What went wrong: </translation>
    </message>
    <message>
        <source>用键盘写（拼音、手写）</source>
        <translation>Write with the keyboard (pinyin, handwriting)</translation>
    </message>
    <message>
        <source>不在目录中</source>
        <translation>Not in the catalog</translation>
    </message>
    <message>
        <source>未选择</source>
        <translation>Not chosen</translation>
    </message>
    <message>
        <source>没有办成的事项：</source>
        <translation>Matter not done: </translation>
    </message>
    <message>
        <source>查找事项</source>
        <translation>Find the matter</translation>
    </message>
    <message>
        <source>事项不在目录中</source>
        <translation>The matter is not in the catalog</translation>
    </message>
    <message>
        <source>查找事项：输入名称或拼音首字母</source>
        <translation>Find the matter: type its name or pinyin initials</translation>
    </message>
    <message>
        <source>没有找到，可以换个说法，或选“事项不在目录中”。</source>
        <translation>Nothing found. Try other words, or choose “The matter is not in the catalog”.</translation>
    </message>
    <message>
        <source>请用自己的话说说哪里没办成</source>
        <translation>Please say in your own words what went wrong</translation>
    </message>
    <message>
        <source>请核对后提交</source>
        <translation>Please check, then submit</translation>
    </message>
    <message>
        <source>事项：</source>
        <translation>Matter: </translation>
    </message>
    <message>
        <source>问题类别：</source>
        <translation>Categories: </translation>
    </message>
    <message>
        <source>（未填写，回访时再说）</source>
        <translation>(not written; tell us when we call back)</translation>
    </message>
    <message>
        <source>回访电话：</source>
        <translation>Call-back number: </translation>
    </message>
    <message>
        <source>返回修改</source>
        <translation>Go back and change</translation>
    </message>
    <message>
        <source>确认提交</source>
        <translation>Confirm and submit</translation>
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
        <source>请持回执到办不成事反映窗口。</source>
        <translation>Please take the receipt to the window for unresolved matters.</translation>
    </message>
    <message>
        <source>请取走回执和号票。</source>
        <translation>Please take your receipt and ticket.</translation>
    </message>
    <message>
        <source>您的反映已记录</source>
        <translation>Your report has been recorded</translation>
    </message>
    <message>
        <source>系统暂时连不上，您的反映已保存在本机，恢复后会自动登记，不用重新填写。登记后首接负责人会打电话（{phone}）联系您。</source>
        <translation>The system cannot be reached right now. Your report is saved on this kiosk and will be registered automatically when the system is back; you need not fill it in again. Once it is registered, the officer in charge will call you ({phone}).</translation>
    </message>
    <message>
        <source>本机编号</source>
        <translation>Kiosk reference</translation>
    </message>
    <message>
        <source>不必重复反映。有急事可以持回执到办不成事反映窗口咨询。</source>
        <translation>No need to report it again. If it is urgent, take the receipt to the window for unresolved matters and ask there.</translation>
    </message>
    <message>
        <source>请取走回执。</source>
        <translation>Please take your receipt.</translation>
    </message>
    <message>
        <source>重新打印</source>
        <translation>Print again</translation>
    </message>
    <message>
        <source>谢谢您对办理情况的评价！</source>
        <translation>Thank you for rating how your case was handled!</translation>
    </message>
    <message>
        <source>这件反映已经评价过了。</source>
        <translation>This case has already been rated.</translation>
    </message>
    <message>
        <source>评价办理情况：请输入回访手机号的后4位，再选择满意程度</source>
        <translation>Rate how it was handled: type the last 4 digits of your call-back number, then choose</translation>
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
        <translation>Basically satisfied</translation>
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
    <name>CameraPage</name>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>设备</source>
        <translation>Device</translation>
    </message>
    <message>
        <source>宽（像素）</source>
        <translation>Width (px)</translation>
    </message>
    <message>
        <source>高（像素）</source>
        <translation>Height (px)</translation>
    </message>
    <message>
        <source>拍照测试</source>
        <translation>Test capture</translation>
    </message>
    <message>
        <source>拍照并识别（OCR）</source>
        <translation>Capture and recognise (OCR)</translation>
    </message>
    <message>
        <source>文件夹扫描：没有实时画面（把图片放进 {folder}）</source>
        <translation>Folder scanner: no live picture (put images into {folder})</translation>
    </message>
    <message>
        <source>实时画面：清晰度 {s}（自动拍照至少 {t}）</source>
        <translation>Live picture: sharpness {s} (auto-capture needs at least {t})</translation>
    </message>
    <message>
        <source>正在拍照并识别…</source>
        <translation>Capturing and recognising…</translation>
    </message>
    <message>
        <source>识别失败：{e}</source>
        <translation>Recognition failed: {e}</translation>
    </message>
    <message>
        <source>类型 {doc}（把握 {c}）；读出：{fields}；问题：{flags}；识别 {ms} 毫秒</source>
        <translation>Type {doc} (confidence {c}); read: {fields}; problems: {flags}; {ms} ms</translation>
    </message>
    <message>
        <source>正在拍照…</source>
        <translation>Capturing…</translation>
    </message>
    <message>
        <source>没有拍到材料：请把一页材料放到摄像头下再试（{e}）</source>
        <translation>Nothing was captured: put a page under the camera and try again ({e})</translation>
    </message>
    <message>
        <source>拍照失败：{e}</source>
        <translation>Capture failed: {e}</translation>
    </message>
    <message>
        <source>无</source>
        <translation>none</translation>
    </message>
    <message>
        <source>图像 {size}；清晰度 {sharp}；问题：{flags}</source>
        <translation>Image {size}; sharpness {sharp}; problems: {flags}</translation>
    </message>
</context>
<context>
    <name>CaseFormScreen</name>
    <message>
        <source>系统没有受理这次反映。请到办不成事反映窗口，工作人员会当面帮您登记。</source>
        <translation>The system did not accept this report. Please go to the window for unresolved matters; the staff will register it with you in person.</translation>
    </message>
    <message>
        <source>已选：</source>
        <translation>Selected: </translation>
    </message>
</context>
<context>
    <name>CatalogPage</name>
    <message>
        <source>从文件重新加载</source>
        <translation>Reload from file</translation>
    </message>
    <message>
        <source>从大厅服务器获取</source>
        <translation>Fetch from the hall server</translation>
    </message>
    <message>
        <source>本机文件</source>
        <translation>local file</translation>
    </message>
    <message>
        <source>上次从服务器取得的副本</source>
        <translation>last copy from the server</translation>
    </message>
    <message>
        <source>大厅服务器</source>
        <translation>Hall server</translation>
    </message>
    <message>
        <source>当前版本：{v}（来源：{s}）</source>
        <translation>Current version: {v} (from: {s})</translation>
    </message>
    <message>
        <source>内嵌模式：本机文件 {f} 就是事项目录</source>
        <translation>Embedded mode: the local file {f} is the catalog</translation>
    </message>
    <message>
        <source>服务器上的目录有误，已拒绝，继续用旧目录：{e}</source>
        <translation>The server&apos;s catalog is invalid and was refused; the old one stays in use: {e}</translation>
    </message>
    <message>
        <source>目录有误，未更换：{e}</source>
        <translation>The catalog is invalid and was not loaded: {e}</translation>
    </message>
    <message>
        <source>目录文件有效（{v}）；内嵌服务器需要重启才能使用</source>
        <translation>The catalog file is valid ({v}); the embedded hall server uses it after a restart</translation>
    </message>
    <message>
        <source>已加载目录 {v}</source>
        <translation>Catalog {v} loaded</translation>
    </message>
    <message>
        <source>正在获取…</source>
        <translation>Fetching…</translation>
    </message>
    <message>
        <source>已更新</source>
        <translation>Updated</translation>
    </message>
    <message>
        <source>没有变化</source>
        <translation>Unchanged</translation>
    </message>
    <message>
        <source>服务器上的目录有误，已拒绝</source>
        <translation>The server&apos;s catalog is invalid and was refused</translation>
    </message>
    <message>
        <source>连不上大厅服务器</source>
        <translation>Cannot reach the hall server</translation>
    </message>
</context>
<context>
    <name>DisplayPage</name>
    <message>
        <source>默认使用长辈版</source>
        <translation>Start every visit in 长辈版 (elder mode)</translation>
    </message>
    <message>
        <source>长辈版年龄（岁）</source>
        <translation>长辈版 age (years)</translation>
    </message>
    <message>
        <source>无操作提醒（秒）</source>
        <translation>Idle prompt after (s)</translation>
    </message>
    <message>
        <source>提醒后等待（秒）</source>
        <translation>Wait after the prompt (s)</translation>
    </message>
    <message>
        <source>致谢页（秒）</source>
        <translation>Thank-you page (s)</translation>
    </message>
    <message>
        <source>默认语言</source>
        <translation>Default language</translation>
    </message>
</context>
<context>
    <name>GroupsScreen</name>
    <message>
        <source>办事指南：请选择类别</source>
        <translation>Service guide: choose a category</translation>
    </message>
    <message>
        <source>材料预审：请选择办理类别</source>
        <translation>Pre-check: choose a category</translation>
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
    <name>HallPage</name>
    <message>
        <source>（未设置）</source>
        <translation>(not set)</translation>
    </message>
    <message>
        <source>模式</source>
        <translation>Mode</translation>
    </message>
    <message>
        <source>服务器地址</source>
        <translation>Server address</translation>
    </message>
    <message>
        <source>本机编号</source>
        <translation>Kiosk id</translation>
    </message>
    <message>
        <source>令牌（留空不改）</source>
        <translation>Token (empty: unchanged)</translation>
    </message>
    <message>
        <source>测试连接</source>
        <translation>Test connection</translation>
    </message>
    <message>
        <source>正在连接…</source>
        <translation>Connecting…</translation>
    </message>
    <message>
        <source>连接失败：{e}</source>
        <translation>Connection failed: {e}</translation>
    </message>
    <message>
        <source>连接正常，往返 {ms} 毫秒</source>
        <translation>Connected, round trip {ms} ms</translation>
    </message>
</context>
<context>
    <name>HandwritingPad</name>
    <message>
        <source>手写板：请用手指在这里写一个字</source>
        <translation>Writing pad: write one character here with your finger</translation>
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
    <name>Keyboard</name>
    <message>
        <source>屏幕键盘：拼音、手写、字母和数字</source>
        <translation>On-screen keyboard: pinyin, handwriting, letters and digits</translation>
    </message>
    <message>
        <source>拼音</source>
        <translation>Pinyin</translation>
    </message>
    <message>
        <source>手写</source>
        <translation>Handwriting</translation>
    </message>
    <message>
        <source>ABC/123</source>
        <translation>ABC/123</translation>
    </message>
    <message>
        <source>字母和数字</source>
        <translation>Letters and digits</translation>
    </message>
    <message>
        <source>收起键盘</source>
        <translation>Close keyboard</translation>
    </message>
    <message>
        <source>上一页候选字</source>
        <translation>Previous candidates</translation>
    </message>
    <message>
        <source>下一页候选字</source>
        <translation>More candidates</translation>
    </message>
    <message>
        <source>撤销一笔</source>
        <translation>Undo stroke</translation>
    </message>
    <message>
        <source>重写</source>
        <translation>Rewrite</translation>
    </message>
    <message>
        <source>逗号</source>
        <translation>Comma</translation>
    </message>
    <message>
        <source>句号</source>
        <translation>Full stop</translation>
    </message>
    <message>
        <source>问号</source>
        <translation>Question mark</translation>
    </message>
    <message>
        <source>叹号</source>
        <translation>Exclamation mark</translation>
    </message>
    <message>
        <source>顿号</source>
        <translation>Enumeration comma</translation>
    </message>
    <message>
        <source>空格</source>
        <translation>Space</translation>
    </message>
    <message>
        <source>删除</source>
        <translation>Delete</translation>
    </message>
    <message>
        <source>拼音（不可用）</source>
        <translation>Pinyin (unavailable)</translation>
    </message>
    <message>
        <source>手写（不可用）</source>
        <translation>Handwriting (unavailable)</translation>
    </message>
    <message>
        <source>已到字数上限（{n}字）</source>
        <translation>Limit reached ({n} characters)</translation>
    </message>
    <message>
        <source>第{n}个：{text}</source>
        <translation>Choice {n}: {text}</translation>
    </message>
    <message>
        <source>中文输入正在准备，请稍等；现在可以输入字母和数字。</source>
        <translation>Chinese input is getting ready; letters and digits work now.</translation>
    </message>
    <message>
        <source>中文输入暂时不能用，请用字母和数字键。</source>
        <translation>Chinese input is not available now; please use the letter and digit keys.</translation>
    </message>
    <message>
        <source>拼音输入暂时不能用，可以用手写。</source>
        <translation>Pinyin is not available now; you can write by hand.</translation>
    </message>
    <message>
        <source>手写输入暂时不能用，可以用拼音。</source>
        <translation>Handwriting is not available now; you can use pinyin.</translation>
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
        <source>English</source>
        <comment>language button</comment>
        <translation>中文</translation>
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
        <source>暂时连不上叫号系统，本机的备用号码也已用完，没有取到号。请到服务台，工作人员会帮您取号（已通知工作人员）。</source>
        <translation>The queue system cannot be reached and this kiosk&apos;s spare numbers are used up, so no ticket was issued. Please go to the help desk; staff will give you a ticket (they have been told).</translation>
    </message>
    <message>
        <source>暂时连不上叫号系统，离线时查不到办件进度和今天的号票。请稍后再试，或到服务台咨询。</source>
        <translation>The queue system cannot be reached: case progress and today's tickets cannot be looked up offline. Please try again later, or ask at the help desk.</translation>
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
        <source>请先选择没有办成的事项，或点“事项不在目录中”。</source>
        <translation>Please choose the matter first, or tap “The matter is not in the catalog”.</translation>
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
        <source>请输入手机号的后4位。</source>
        <translation>Please type the last 4 digits of your phone number.</translation>
    </message>
    <message>
        <source>手机号后四位不对，请核对回访电话。</source>
        <translation>The last 4 digits do not match. Please check your call-back number.</translation>
    </message>
    <message>
        <source>尝试次数过多，请到办不成事反映窗口评价。</source>
        <translation>Too many tries. Please rate it at the unresolved-matters window.</translation>
    </message>
    <message>
        <source>这件反映已经评价过了，谢谢您！</source>
        <translation>This case has already been rated. Thank you!</translation>
    </message>
    <message>
        <source>反映办结后才能评价办理情况。</source>
        <translation>You can rate the handling once the case is closed.</translation>
    </message>
    <message>
        <source>这件反映的评价期已过，谢谢您的关注！</source>
        <translation>The period for rating this case is over. Thank you for your interest.</translation>
    </message>
    <message>
        <source>这件反映无法在本机评价，请到窗口办理。</source>
        <translation>This case cannot be rated here. Please ask at the window.</translation>
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
        <source>这不是手机号码：手机号以1开头，第二位是3到9。请核对后重新输入。</source>
        <translation>This is not a mobile number: it starts with 1, and the second digit is 3 to 9. Please check and type it again.</translation>
    </message>
    <message>
        <source>手机号码应为11位数字，请核对后重新输入。</source>
        <translation>A mobile number has 11 digits. Please check and type it again.</translation>
    </message>
    <message>
        <source>短信提醒没有登记上，请留意大厅屏幕和广播叫号。</source>
        <translation>The text message could not be set up. Please watch the hall's screens and listen for your number.</translation>
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
    <name>OutboxPage</name>
    <message>
        <source>立即重试</source>
        <translation>Retry now</translation>
    </message>
    <message>
        <source>待发送：{n} 条；发送失败：{d} 条</source>
        <translation>Waiting to send: {n}; failed: {d}</translation>
    </message>
    <message>
        <source>最近的提醒：</source>
        <translation>Recent alerts:</translation>
    </message>
    <message>
        <source>无</source>
        <translation>none</translation>
    </message>
</context>
<context>
    <name>PhoneKeypad</name>
    <message>
        <source>删除</source>
        <translation>Delete</translation>
    </message>
    <message>
        <source>请输入11位手机号码</source>
        <translation>Type your 11-digit mobile number</translation>
    </message>
    <message>
        <source>已输入 {n} 位</source>
        <translation>{n} digits typed</translation>
    </message>
    <message>
        <source>留下手机号，前面还剩3人和叫到您时发短信提醒您（号码当天删除）。</source>
        <translation>Leave your mobile number: we text you when 3 people are ahead and when you are called (the number is deleted today).</translation>
    </message>
    <message>
        <source>删除一位</source>
        <translation>Delete one digit</translation>
    </message>
    <message>
        <source>数字键盘：请逐位输入手机号，再按确定</source>
        <translation>Number keypad: type your mobile number digit by digit, then press OK</translation>
    </message>
    <message>
        <source>不用了</source>
        <translation>No, thanks</translation>
    </message>
    <message>
        <source>确定</source>
        <translation>OK</translation>
    </message>
</context>
<context>
    <name>PinPad</name>
    <message>
        <source>删除一位</source>
        <translation>Delete one digit</translation>
    </message>
    <message>
        <source>确定</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>密码不对，还可以试 {n} 次</source>
        <translation>Wrong PIN; {n} tries left</translation>
    </message>
    <message>
        <source>还不能在这里设置密码</source>
        <translation>The PIN cannot be set here yet</translation>
    </message>
    <message>
        <source>两次输入的密码不一样，请重新设置</source>
        <translation>The two PINs differ; please set it again</translation>
    </message>
    <message>
        <source>密码要 {a} 到 {b} 位数字</source>
        <translation>The PIN must have {a} to {b} digits</translation>
    </message>
    <message>
        <source>密码只能是数字</source>
        <translation>The PIN may contain digits only</translation>
    </message>
    <message>
        <source>密码太简单（如 123456、000000），请换一个</source>
        <translation>The PIN is too simple (like 123456, 000000); choose another</translation>
    </message>
    <message>
        <source>密码没有设置成功</source>
        <translation>The PIN was not set</translation>
    </message>
    <message>
        <source>密码错误次数太多，已锁定，请 {m} 分钟后再试</source>
        <translation>Too many wrong PINs: locked, try again in {m} min</translation>
    </message>
    <message>
        <source>请输入工作人员密码</source>
        <translation>Enter the staff PIN</translation>
    </message>
    <message>
        <source>首次使用：请设置工作人员密码（至少 {n} 位数字）</source>
        <translation>First use: set the staff PIN (at least {n} digits)</translation>
    </message>
    <message>
        <source>请再输入一次新密码</source>
        <translation>Enter the new PIN again</translation>
    </message>
    <message>
        <source>还没有设置工作人员密码。请管理员在本机终端运行 python -m kiosk --staff-setup，24 小时内在这里设置。</source>
        <translation>No staff PIN is set yet. An administrator runs python -m kiosk --staff-setup on this kiosk&apos;s console; then set it here within 24 hours.</translation>
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
        <source>；</source>
        <translation>; </translation>
    </message>
    <message>
        <source>（模糊的照片）</source>
        <translation> (blurred photo)</translation>
    </message>
    <message>
        <source>请把材料放在拍摄区</source>
        <translation>Put the page on the mat under the camera</translation>
    </message>
    <message>
        <source>画面清楚，可以拍</source>
        <translation>The picture is sharp: you can take it</translation>
    </message>
    <message>
        <source>画面不清楚：请把材料放平、放稳</source>
        <translation>The picture is not sharp: lay the page flat and keep it still</translation>
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
    <name>PrinterPage</name>
    <message>
        <source>连接</source>
        <translation>Connection</translation>
    </message>
    <message>
        <source>纸宽（毫米）</source>
        <translation>Paper width (mm)</translation>
    </message>
    <message>
        <source>例如 network:192.168.1.50:9100、serial:/dev/ttyUSB0:9600、usb:0416:5011</source>
        <translation>e.g. network:192.168.1.50:9100, serial:/dev/ttyUSB0:9600, usb:0416:5011</translation>
    </message>
    <message>
        <source>测试打印</source>
        <translation>Test print</translation>
    </message>
    <message>
        <source>查询状态</source>
        <translation>Query status</translation>
    </message>
    <message>
        <source>换了新纸卷：计数清零</source>
        <translation>New paper roll: reset the counter</translation>
    </message>
    <message>
        <source>状态：无法查询（{e}）</source>
        <translation>Status: cannot ask ({e})</translation>
    </message>
    <message>
        <source>状态：{s}</source>
        <translation>Status: {s}</translation>
    </message>
    <message>
        <source>正在打印…</source>
        <translation>Printing…</translation>
    </message>
    <message>
        <source>打印失败：{e}</source>
        <translation>Printing failed: {e}</translation>
    </message>
    <message>
        <source>已打印测试票；状态：{s}</source>
        <translation>Test ticket printed; status: {s}</translation>
    </message>
    <message>
        <source>这台打印机不计纸长</source>
        <translation>This printer does not count paper</translation>
    </message>
    <message>
        <source>纸卷计数已清零</source>
        <translation>Paper counter reset</translation>
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
        <source>工作人员模式下不能评价</source>
        <translation>Ratings are not possible in staff mode</translation>
    </message>
    <message>
        <source>返回首页</source>
        <translation>Back to the start</translation>
    </message>
    <message>
        <source>可以评价</source>
        <translation>can be rated</translation>
    </message>
    <message>
        <source>可以再次评价</source>
        <translation>can be rated again</translation>
    </message>
    <message>
        <source>已评价</source>
        <translation>already rated</translation>
    </message>
    <message>
        <source>还没有办理</source>
        <translation>not served yet</translation>
    </message>
    <message>
        <source>您今天的号票，请选择要评价的一张</source>
        <translation>Your tickets today: choose the one to rate</translation>
    </message>
    <message>
        <source>改为输入号码</source>
        <translation>Type the number instead</translation>
    </message>
    <message>
        <source>评价：请输入号票上的号码</source>
        <translation>Rating: type the number on your ticket</translation>
    </message>
    <message>
        <source>也可以扫描小票上的二维码，或刷身份证查看您今天的号票。</source>
        <translation>You can also scan the QR code on your ticket, or tap your ID card to see your tickets today.</translation>
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
        <source>正在识别…</source>
        <translation>Reading…</translation>
    </message>
    <message>
        <source>扫描小票二维码</source>
        <translation>Scan the ticket&apos;s QR code</translation>
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
        <source>您对这次办理满意吗？</source>
        <translation>Were you satisfied with this service?</translation>
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
        <source>请写下您的意见</source>
        <translation>Please write your comment</translation>
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
        <source>等候时间太长</source>
        <translation>Waited too long</translation>
    </message>
    <message>
        <source>工作人员不在窗口</source>
        <translation>No staff at the window</translation>
    </message>
    <message>
        <source>材料要求前后不一致</source>
        <translation>Inconsistent material requirements</translation>
    </message>
    <message>
        <source>系统故障没办成</source>
        <translation>Not done because of a system fault</translation>
    </message>
    <message>
        <source>想多说一句（可不选）：</source>
        <translation>Anything to add (optional):</translation>
    </message>
    <message>
        <source>已选：</source>
        <translation>Selected: </translation>
    </message>
    <message>
        <source>其他意见（可不填，最多{n}字）：</source>
        <translation>Other comments (optional, at most {n} characters):</translation>
    </message>
    <message>
        <source>在这里输入</source>
        <translation>Type here</translation>
    </message>
    <message>
        <source>提交评价</source>
        <translation>Submit rating</translation>
    </message>
    <message>
        <source>用键盘写（拼音、手写）</source>
        <translation>Write with the keyboard (pinyin, handwriting)</translation>
    </message>
    <message>
        <source>差评会由专人核实、整改并回复。</source>
        <translation>Bad reviews are checked, acted on and answered by a named person.</translation>
    </message>
</context>
<context>
    <name>Rating</name>
    <message>
        <source>没有拍到小票。请把小票平放在摄像头下、二维码朝上，再点“扫描小票二维码”；也可以直接输入号码。</source>
        <translation>No ticket was seen. Lay the ticket flat under the camera with the QR code facing up and tap “Scan the ticket&apos;s QR code” again, or type the number.</translation>
    </message>
    <message>
        <source>没有认出二维码。请把小票放平、二维码朝上，放在摄像头下再扫一次；也可以直接输入小票上的号码。</source>
        <translation>The QR code could not be read. Lay the ticket flat under the camera with the QR code facing up and scan again, or type the number on the ticket.</translation>
    </message>
    <message>
        <source>这不是本大厅号票的二维码。请扫描号票上的二维码，或输入号票上的号码。</source>
        <translation>This is not the QR code of a ticket from this hall. Scan the QR code on your ticket, or type the number on it.</translation>
    </message>
    <message>
        <source>没有找到这张号票。请核对后输入号票上的号码。</source>
        <translation>This ticket was not found. Please check it and type the number on the ticket.</translation>
    </message>
    <message>
        <source>扫描设备暂时不能用，已通知工作人员。请直接输入号票上的号码。</source>
        <translation>The scanner is not working right now; staff have been told. Please type the number on your ticket.</translation>
    </message>
    <message>
        <source>今天没有查到用这张身份证取的号。请输入号票上的号码，或扫描小票二维码。</source>
        <translation>No ticket was taken with this ID card today. Type the number on your ticket, or scan its QR code.</translation>
    </message>
    <message>
        <source>暂时连不上系统，查不到您今天的号票。请输入号票上的号码，或扫描小票二维码。</source>
        <translation>The system cannot be reached, so your tickets cannot be listed. Type the number on your ticket, or scan its QR code.</translation>
    </message>
    <message>
        <source>工作人员模式下不能评价。评价只能由办事群众本人进行。</source>
        <translation>Ratings are not possible in staff mode. Only citizens themselves may rate.</translation>
    </message>
</context>
<context>
    <name>ReaderPage</name>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>串口</source>
        <translation>Serial port</translation>
    </message>
    <message>
        <source>波特率</source>
        <translation>Baud rate</translation>
    </message>
    <message>
        <source>刷新串口列表</source>
        <translation>Refresh the port list</translation>
    </message>
    <message>
        <source>测试读卡</source>
        <translation>Test read</translation>
    </message>
    <message>
        <source>检测 SAM 模块</source>
        <translation>Check the SAM module</translation>
    </message>
    <message>
        <source>状态：{state} {detail}</source>
        <translation>State: {state} {detail}</translation>
    </message>
    <message>
        <source>没有找到串口</source>
        <translation>No serial port found</translation>
    </message>
    <message>
        <source>请把身份证放到读卡器上…</source>
        <translation>Place an ID card on the reader…</translation>
    </message>
    <message>
        <source>{s} 秒内没有读到卡：请检查读卡器的连接和设置，或换一张卡再试。</source>
        <translation>No card was read within {s} seconds: check the reader&apos;s connection and settings, or try another card.</translation>
    </message>
    <message>
        <source>读卡成功：{name} {id}（{kind}）</source>
        <translation>Card read: {name} {id} ({kind})</translation>
    </message>
    <message>
        <source>正在检测…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <source>检测失败：{e}</source>
        <translation>Check failed: {e}</translation>
    </message>
    <message>
        <source>SAM 状态：{status}；SAM 编号：{id}</source>
        <translation>SAM state: {status}; SAM id: {id}</translation>
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
    <name>StaffPanel</name>
    <message>
        <source>工作人员面板</source>
        <translation>Staff panel</translation>
    </message>
    <message>
        <source>保存并应用</source>
        <translation>Save and apply</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>读卡器</source>
        <translation>Card reader</translation>
    </message>
    <message>
        <source>打印机</source>
        <translation>Printer</translation>
    </message>
    <message>
        <source>高拍仪</source>
        <translation>Camera</translation>
    </message>
    <message>
        <source>语音</source>
        <translation>Voice</translation>
    </message>
    <message>
        <source>大厅服务器</source>
        <translation>Hall server</translation>
    </message>
    <message>
        <source>显示</source>
        <translation>Display</translation>
    </message>
    <message>
        <source>事项目录</source>
        <translation>Catalog</translation>
    </message>
    <message>
        <source>待发与日志</source>
        <translation>Outbox and logs</translation>
    </message>
    <message>
        <source>没有改动</source>
        <translation>Nothing changed</translation>
    </message>
    <message>
        <source>没有保存：{why}</source>
        <translation>Not saved: {why}</translation>
    </message>
    <message>
        <source>已保存，但未能立即生效（{e}）；重启后生效</source>
        <translation>Saved, but could not be applied now ({e}); takes effect after a restart</translation>
    </message>
    <message>
        <source>已保存到 {f}</source>
        <translation>Saved to {f}</translation>
    </message>
    <message>
        <source>已立即生效：{a}</source>
        <translation>In effect now: {a}</translation>
    </message>
    <message>
        <source>需要重启才能生效：{r}</source>
        <translation>Needs a restart to take effect: {r}</translation>
    </message>
    <message>
        <source>被环境变量覆盖、不会生效：{k}</source>
        <translation>Overridden by environment variables, no effect: {k}</translation>
    </message>
</context>
<context>
    <name>ThanksScreen</name>
    <message>
        <source>感谢使用</source>
        <translation>Thank you</translation>
    </message>
    <message>
        <source>请留意大厅屏幕和广播叫号。</source>
        <translation>Watch the hall screens and listen for your number.</translation>
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
        <source>离线取号：网络恢复后自动登记，请看大厅屏幕留意叫号</source>
        <translation>Issued offline: registered automatically when the network is back. Watch the hall&apos;s screens for your number.</translation>
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
    <message>
        <source>短信提醒</source>
        <translation>Text me</translation>
    </message>
    <message>
        <source>短信提醒：到号前和叫号时发短信给您</source>
        <translation>Text me: a message before your turn and when you are called</translation>
    </message>
    <message>
        <source>前面还剩3人和叫到您时，将发短信到 {phone}。</source>
        <translation>We will text {phone} when 3 people are ahead of you and when you are called.</translation>
    </message>
</context>
<context>
    <name>VoicePage</name>
    <message>
        <source>标准版也播报语音</source>
        <translation>Speak in the standard mode too</translation>
    </message>
    <message>
        <source>请A零四二号到三号窗口办理</source>
        <translation>请A零四二号到三号窗口办理</translation>
    </message>
    <message>
        <source>引擎</source>
        <translation>Engine</translation>
    </message>
    <message>
        <source>语速（字/分）</source>
        <translation>Rate (words/min)</translation>
    </message>
    <message>
        <source>音量（%）</source>
        <translation>Volume (%)</translation>
    </message>
    <message>
        <source>试听内容</source>
        <translation>Test phrase</translation>
    </message>
    <message>
        <source>试听</source>
        <translation>Play</translation>
    </message>
    <message>
        <source>声音正常</source>
        <translation>Sound works</translation>
    </message>
    <message>
        <source>没有声卡：静音运行</source>
        <translation>No sound card: running silently</translation>
    </message>
    <message>
        <source>已播放：{t}</source>
        <translation>Played: {t}</translation>
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
